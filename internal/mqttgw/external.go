package mqttgw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// externalFilter is the gateway's subscription on an external broker. It
// is a shared subscription, so that when several Hearth nodes join one
// broker each event reaches exactly one of them.
const externalFilter = "$share/hearth/" + topicRoot + "+" + eventsLevel + "#"

// startExternal joins the external broker as a service client and waits
// until it is connected and subscribed, or ctx ends.
func (g *Gateway) startExternal(ctx context.Context) error {
	u, err := externalURL(g.cfg.External)
	if err != nil {
		return err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	subscribed := make(chan error, 1)
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewConstantBackoff(2 * time.Second),
		ConnectUsername:               g.cfg.ExternalUser,
		ConnectPassword:               []byte(g.cfg.ExternalPassword),
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			// Subscribing here renews the subscription after every reconnect.
			go func() {
				_, err := cm.Subscribe(runCtx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: externalFilter, QoS: 1}}})
				if err != nil {
					g.log.Error("subscribing to device events on the external broker", "error", err)
				}
				select {
				case subscribed <- err:
				default:
				}
			}()
		},
		OnConnectError: func(err error) { g.log.Warn("connecting to the external MQTT broker", "error", err) },
		ClientConfig: paho.ClientConfig{
			ClientID: "hearth-" + hex.EncodeToString(b),
			// Acknowledged by hand, once stored: paho keeps acknowledgements
			// in order, and the handler must not wait for the store, or
			// events would be written one transaction each.
			EnableManualAcknowledgment: true,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) {
					g.consumeExternal(pr)
					return true, nil
				},
			},
		},
	}
	cm, err := autopaho.NewConnection(runCtx, cfg)
	if err != nil {
		cancel()
		return err
	}
	g.ext, g.cancel = cm, cancel
	select {
	case err = <-subscribed:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		g.closeExternal()
		g.ext = nil
		return fmt.Errorf("external broker %s: %w", u.Redacted(), err)
	}
	return nil
}

// consumeExternal handles one message from the external broker. The broker
// has authenticated the publisher and confined it to its topic (that is
// its job in this mode), so the device is the topic's; the gateway still
// refuses revoked and unknown devices.
func (g *Gateway) consumeExternal(pr paho.PublishReceived) {
	pb := pr.Packet
	ack := func() {
		if pb.QoS > 0 {
			if err := pr.Client.Ack(pb); err != nil {
				g.log.Warn("acknowledging a device event", "error", err)
			}
		}
	}
	id, typ, ok := splitEventsTopic(pb.Topic)
	if !ok {
		g.metrics.rejected.WithLabelValues(reasonTopic).Inc()
		ack()
		return
	}
	msg, reason := ParseEvent(typ, pb.Payload, g.cfg.MaxMessageBytes)
	if reason != "" {
		g.metrics.rejected.WithLabelValues(reason).Inc()
		ack()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	d, err := g.devices.Active(ctx, id)
	if err != nil {
		g.metrics.rejected.WithLabelValues(reasonRevoked).Inc()
		ack()
		return
	}
	ev, err := g.devices.NewEvent(d, msg.Type, msg.At, msg.Data)
	if err != nil {
		g.metrics.rejected.WithLabelValues(reasonInvalidData).Inc()
		ack()
		return
	}
	// Acknowledged once its transaction ends, even if the store fails
	// (counted, and logged by the writer): paho releases acknowledgements
	// in order, so holding one back would hold back every later event.
	// Ack only queues the packet, so it may run on the writer's goroutine.
	if err := g.writer.enqueue(ctx, ev, func(error) { ack() }); err != nil {
		g.metrics.rejected.WithLabelValues(reasonOverloaded).Inc()
		ack()
	}
}

func (g *Gateway) publishExternal(ctx context.Context, topic string, payload []byte) error {
	_, err := g.ext.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: payload})
	return err
}

func (g *Gateway) closeExternal() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := g.ext.Disconnect(ctx)
	g.cancel()
	<-g.ext.Done()
	return err
}
