package main

import "context"

// wireLegal builds the legal-demand workflow and the transparency report.
func (m *Main) wireLegal(ctx context.Context) error { return nil }
