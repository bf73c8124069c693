package main

import "context"

// sweepOrphanBlobs deletes the clip blobs that interrupted uploads left
// with no clip, once past the vault's grace period.
func (m *Main) sweepOrphanBlobs(ctx context.Context) {
	if n, err := m.Vault.SweepOrphans(ctx); err != nil {
		m.Logger.Error("sweep blobs no clip references", "err", err)
	} else if n > 0 {
		m.Logger.Info("deleted blobs no clip references", "blobs", n)
	}
}
