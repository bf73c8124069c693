package mqttgw

import mqtt "github.com/mochi-mqtt/server/v2"

// AddBrokerHook adds h to the embedded broker after the gateway's own
// hook. The broker calls hooks in the order they were added, so h hears of
// a connection, a disconnection or a packet once the gateway has finished
// with it: tests wait on that instead of on time passing.
func (g *Gateway) AddBrokerHook(h mqtt.Hook) error { return g.server.AddHook(h, nil) }
