package main

import (
	"context"
	"time"

	"hearth/internal/access"
	"hearth/internal/jobs"
	"hearth/internal/neighbors"
	"hearth/internal/sqlstore"
)

// wireNeighbors builds the neighbours service, registers it to follow
// homes and cameras, builds its geo index from the store and finishes any
// delivery a stop cut short.
func (m *Main) wireNeighbors(ctx context.Context, gate *access.Gate) error {
	m.Neighbors = neighbors.NewService(neighbors.Deps{
		Store: sqlstore.NewNeighborsStore(m.DB), Log: m.Log, Households: m.Households,
		Cameras: m.Devices, Notifier: m.Notices, Clips: m.Vault, Gate: gate,
		Logger: m.Logger.With("component", "neighbors"), Clock: m.Clock,
	})
	m.Households.AddHomeObserver(m.Neighbors)
	m.Devices.AddCameraObserver(m.Neighbors)
	if err := m.Neighbors.LoadHomes(ctx); err != nil {
		return err
	}
	if err := m.Neighbors.DeliverPending(ctx); err != nil {
		m.Logger.Error("finish delivering requests for assistance", "err", err)
	}
	return nil
}

// Intervals of the neighbours' background work.
const (
	// homesReloadEvery rebuilds the geo index from the store, so that
	// changes made through other nodes reach this one's index.
	homesReloadEvery = 5 * time.Minute
	// pendingDeliveryEvery retries deliveries that did not finish.
	pendingDeliveryEvery = time.Minute
)

// neighborsJobs keep the neighbours' work current: retrying deliveries
// (once per interval across the nodes: they share the deliveries), and
// rebuilding this node's own geo index (on every node: each has its own).
func (m *Main) neighborsJobs() []jobs.Job {
	return []jobs.Job{
		{Name: "neighbors.deliver", Every: pendingDeliveryEvery, Run: m.Neighbors.DeliverPending},
		{Name: "neighbors.reindex", Every: homesReloadEvery, Run: m.Neighbors.LoadHomes, Local: true},
	}
}
