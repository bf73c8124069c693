// Package device holds the devices a household pairs, their credentials,
// the events they report and the commands sent to them.
package device
