package main

import (
	"context"
	"crypto/rand"
	"os"
	"slices"

	"hearth/internal/jobs"
	"hearth/internal/randid"
	"hearth/internal/sqlstore"
)

// startJobs registers every domain's periodic work with one runner on the
// service's clock and starts it. Runs are claimed in the database, so nodes
// sharing it do each run once.
func (m *Main) startJobs(ctx context.Context) error {
	node, err := nodeName()
	if err != nil {
		return err
	}
	r, err := jobs.New(sqlstore.NewJobStore(m.DB), m.Clock, node, m.Logger.With("component", "jobs"), m.Registry)
	if err != nil {
		return err
	}
	mail, err := m.mailJobs()
	if err != nil {
		return err
	}
	for _, j := range slices.Concat(m.purgeJobs(), mail, m.neighborsJobs(), m.legalJobs()) {
		if err := r.Register(j); err != nil {
			return err
		}
	}
	m.Jobs = r
	return r.Start(ctx)
}

// nodeName names this process among the nodes sharing the database: the
// host name, for operators reading who ran a job, and random bits, so that
// two processes on one host differ.
func nodeName() (string, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "hearth"
	}
	if len(host) > 64 {
		host = host[:64]
	}
	return randid.New(rand.Reader, host)
}
