// Package jobs runs Hearth's periodic work: purges, e-mail and request
// delivery, legal notices, index rebuilds. Each domain describes its work as
// a Job (a name, an interval and a function) and registers it with the one
// Runner of the process, which keeps time on the injected clock.Clock.
//
// Several nodes may share one database. Before a run, the Runner claims it in
// the Store: the claim moves the job's next due time forward, compare-and-set
// on the due time it replaces, so across every node sharing the database a
// job runs once per interval, on whichever node got there first. Work on a
// node's own memory (a Local job, such as rebuilding the in-memory geo index)
// is not claimed: every node runs it.
//
// A run that fails is logged once and counted; it does not stop the job or
// any other, and the job runs again one interval later. A run that panics is
// recovered and counted as failed. Outcomes are exported as Prometheus
// metrics on the registry given to New.
package jobs
