package device

import (
	"context"
	"fmt"
	"math"
)

// Command names.
const (
	CommandRecord = "record" // start recording; args {"seconds": 1..MaxRecordSeconds}
	CommandSiren  = "siren"  // sound or silence the siren; args {"on": bool}
	CommandReboot = "reboot" // restart the device; no args
)

// Commands lists every command name.
var Commands = []string{CommandRecord, CommandSiren, CommandReboot}

// MaxRecordSeconds bounds a record command, so a command cannot turn a
// camera into a continuous recorder.
const MaxRecordSeconds = 300

// Command is an instruction to one device.
type Command struct {
	Name string
	Args map[string]any // as decoded from JSON: numbers are float64
}

// Valid returns a message safe to show if c is not a known command with
// the arguments it takes, or "".
func (c Command) Valid() string {
	allowed := map[string]map[string]bool{
		CommandRecord: {"seconds": true},
		CommandSiren:  {"on": true},
		CommandReboot: {},
	}[c.Name]
	if allowed == nil {
		return fmt.Sprintf("Unknown command %q; choose one of %q.", c.Name, Commands)
	}
	for k := range c.Args {
		if !allowed[k] {
			return fmt.Sprintf("The %s command takes no %q.", c.Name, k)
		}
	}
	switch c.Name {
	case CommandRecord:
		s, ok := c.Args["seconds"].(float64)
		if !ok || s < 1 || s > MaxRecordSeconds || s != math.Trunc(s) {
			return fmt.Sprintf(`The record command needs "seconds": a whole number from 1 to %d.`, MaxRecordSeconds)
		}
	case CommandSiren:
		if _, ok := c.Args["on"].(bool); !ok {
			return `The siren command needs "on": true or false.`
		}
	}
	return ""
}

// Publisher delivers a command to a device. The device gateway implements it.
type Publisher interface {
	// PublishCommand sends cmd to the device. Unavailable if it cannot be
	// handed to the broker.
	PublishCommand(ctx context.Context, id ID, cmd Command) error
}

// Disconnector drops a device's live connections. The device gateway
// implements it, so that revoking a device cuts it off at once rather than
// at its next reconnect.
type Disconnector interface {
	DisconnectDevice(id ID)
}
