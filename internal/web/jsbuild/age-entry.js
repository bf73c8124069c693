// The parts of age-encryption (typage) that hearth's pages use. Member keys
// are X25519 (vault.NewMemberKey, vault.UnlockMemberKey), so pages should
// call generateX25519Identity: generateIdentity may switch to post-quantum
// hybrid keys in a later release. WebAuthn and the low-level recipient
// classes are left out because no page uses them.
export {
  Decrypter,
  Encrypter,
  armor,
  generateIdentity,
  generateX25519Identity,
  identityToRecipient,
} from "age-encryption";
