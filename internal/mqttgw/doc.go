// Package mqttgw is the device gateway: it runs an MQTT broker inside the
// process (mochi-mqtt) or connects to an external one, and turns what
// devices publish into calls on device.Service.
//
// In embedded mode the broker authenticates every connection against
// device.Service (username = device id = client id, password = the device
// credential) and confines each device to its own topics:
//
//	hearth/d/<device id>/events/<type>   the device publishes events
//	hearth/d/<device id>/commands/<name> the service publishes commands
//
// Events are parsed (ParseEvent), checked by device.Service and written to
// the store in groups: one goroutine takes every event that arrived while
// the previous transaction committed and writes them in the next one. A
// QoS 1 event is acknowledged only after its transaction commits, so an
// acknowledged event is stored. Anything refused is acknowledged with an
// MQTT v5 reason code and counted in hearth_mqtt_rejected_total{reason}.
//
// In external mode the gateway is one more client of the operator's broker;
// that broker must authenticate devices and enforce the same topic rules.
// See docs/devices.md.
package mqttgw
