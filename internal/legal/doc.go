// Package legal keeps the staff workflow for legal demands (SPEC §8):
// subpoenas, search warrants, court orders, emergency and foreign requests.
// Staff record a demand and decide it (rejected, partially or fully
// complied); what each type of demand may yield is enforced here, and
// nothing can ever yield plaintext media, which Hearth cannot decrypt. The
// person concerned is told once the demand is decided, unless a court order
// delays it, in which case they are told when the delay lapses. Every step
// is in the public transparency log before it is stored; the log never names
// the person.
package legal
