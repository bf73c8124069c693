// Package vault keeps encrypted media: clips recorded by devices, the key
// envelopes ("wraps") that share a clip with one more recipient, the
// members' age keys, and retention.
//
// The server never sees plaintext and never holds a private key. A device
// encrypts each clip with age to every current member's X25519 recipient
// and uploads the ciphertext (Service.Put). A member downloads it as stored
// (Service.Open) and decrypts it with the standard age tool or in the
// browser. To share a clip without re-uploading it, a member's client
// re-encrypts only the clip's file key for the new recipient (Rewrap) and
// uploads that new age header (Service.AddWrap); the server then serves the
// new header followed by the original payload (Service.OpenFor), which is
// again an ordinary age file. Removing the wrap (Service.RemoveWrap)
// un-shares the clip.
//
// Each member's identity is stored only encrypted under their passphrase
// (an age file with a single scrypt stanza, made by NewMemberKey), so any
// of their browsers can unlock it (UnlockMemberKey) while the passphrase
// never reaches the server.
//
// The package uses filippo.io/age to check what it is given and for the
// client-side helpers; storage is behind the Store and Blobs interfaces.
package vault
