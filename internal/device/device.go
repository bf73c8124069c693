package device

import (
	"time"

	"hearth/internal/household"
	"hearth/internal/randid"
)

// ID identifies a device.
type ID string

// Valid reports whether id has the shape of the identifier of a device ("d_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id ID) Valid() bool { return randid.Valid("d", string(id)) }

// Kind is what a device is.
type Kind string

// Device kinds (SPEC §2).
const (
	KindDoorbell      Kind = "doorbell"
	KindCamera        Kind = "camera"
	KindFloodlight    Kind = "floodlight"
	KindContactSensor Kind = "contact_sensor"
	KindMotionSensor  Kind = "motion_sensor"
	KindAlarmBase     Kind = "alarm_base"
	KindIndoorDrone   Kind = "indoor_drone"
	KindHomeRobot     Kind = "home_robot"
	KindSmartSpeaker  Kind = "smart_speaker"
)

// Kinds lists every device kind.
var Kinds = []Kind{KindDoorbell, KindCamera, KindFloodlight, KindContactSensor, KindMotionSensor,
	KindAlarmBase, KindIndoorDrone, KindHomeRobot, KindSmartSpeaker}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Records reports whether devices of this kind record media (and so count
// as cameras for requests for assistance).
func (k Kind) Records() bool {
	switch k {
	case KindDoorbell, KindCamera, KindFloodlight, KindIndoorDrone, KindHomeRobot:
		return true
	}
	return false
}

// Device is a paired device. Its credential is stored only as a hash.
type Device struct {
	ID             ID
	Household      household.ID
	Kind           Kind
	Name           string
	CredentialHash []byte
	PairedAt       time.Time
	RevokedAt      time.Time // zero while the credential works
	LastSeenAt     time.Time
	Online         bool
}
