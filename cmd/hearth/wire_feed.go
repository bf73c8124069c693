package main

import (
	"errors"

	"filippo.io/age"

	"hearth/internal/feed"
	"hearth/internal/sqlstore"
)

// wireFeed builds the neighbours feed.
func (m *Main) wireFeed() {
	m.Feed = feed.NewService(feed.Deps{Store: sqlstore.NewFeedStore(m.DB), Households: m.Households, Vault: m.Vault,
		Requests: m.Neighbors, Log: m.Log, Keys: ageKeys{}, Clock: m.Clock})
}

// ageKeys reads the age identities posts carry, for the feed domain, which
// does not speak age itself.
type ageKeys struct{}

// RecipientOf returns the public key of an X25519 identity written as age
// writes it, so that one key has one spelling.
func (ageKeys) RecipientOf(s string) (string, error) {
	id, err := age.ParseX25519Identity(s)
	if err != nil {
		return "", err
	}
	if id.String() != s {
		return "", errors.New("the identity is not in age's canonical form")
	}
	return id.Recipient().String(), nil
}
