package main

import (
	"context"
	"time"

	"hearth/internal/jobs"
	"hearth/internal/legal"
	"hearth/internal/sqlstore"
	"hearth/internal/transparency"
)

// wireLegal builds the legal-demand workflow and the transparency report.
// The key of the commitments legal demands carry in the log is derived from
// the server secret, as every other key is.
func (m *Main) wireLegal(secret []byte) {
	m.Legal = legal.NewService(legal.Deps{Store: sqlstore.NewLegalStore(m.DB), Log: m.Log, Accounts: m.Identity,
		Notifier: m.Notices, Clock: m.Clock, SubjectKey: deriveKey(secret, "legal demand subject")})
	m.Report = transparency.NewService(transparency.Deps{Legal: m.Legal, Neighbours: m.Neighbors, Clock: m.Clock})
}

// legalNoticeInterval is how often the service looks for legal-demand
// notices whose court-ordered delay has lapsed: a person is told within
// this long of the delay's end.
const legalNoticeInterval = time.Minute

// legalJobs tell people of the legal demands about them once their notice
// delay lapses: at start (catching up after downtime), then every
// legalNoticeInterval. Should two nodes run it at once, each notice is
// also claimed in the store, so nobody is told twice.
func (m *Main) legalJobs() []jobs.Job {
	return []jobs.Job{{Name: "legal.notify", Every: legalNoticeInterval, AtStart: true, Run: func(ctx context.Context) error {
		n, err := m.Legal.NotifyDue(ctx)
		if n > 0 {
			m.Logger.Info("told people of legal demands whose notice delay lapsed", "told", n)
		}
		return err
	}}}
}
