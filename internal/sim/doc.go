// Package sim runs virtual devices: programs that behave like a camera,
// doorbell, sensor or base station of a household, so that Hearth can be
// demonstrated, load-tested and tested end to end without hardware.
//
// A virtual device does only what a real one can: it pairs with a code over
// HTTP (Pair), connects to the MQTT broker with its own credential, sends
// heartbeats and events, obeys commands, and for each recording encrypts a
// synthetic clip (WriteClip) on its side to the household's members and
// uploads the ciphertext. It uses no server internals: it talks to Hearth
// through the API client (hearth/client) and MQTT only, so what works for it
// works for a device on another machine. See docs/devices.md.
//
// Every clip contains the bytes of PlaintextMarker, so a test can check
// that the plaintext never reaches the server.
package sim
