package main

import "context"

// wireFeed builds the neighbours feed.
func (m *Main) wireFeed(ctx context.Context) error { return nil }
