package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"time"
)

// ThrottlePolicy says how failed sign-in attempts slow down further ones.
// After Free consecutive failures each further attempt must wait a delay that
// doubles with every failure, from Base up to Max; at Lock failures the key is
// locked for LockFor. A success clears the count.
type ThrottlePolicy struct {
	Free    int
	Base    time.Duration
	Max     time.Duration
	Lock    int // 0: never lock
	LockFor time.Duration
}

// Default throttles. Accounts lock after 10 failures in a row. Client
// addresses may stand for many people behind one NAT, so they never lock and
// start slowing down later.
var (
	DefaultAccountThrottle = ThrottlePolicy{Free: 3, Base: time.Second, Max: 5 * time.Minute, Lock: 10, LockFor: time.Hour}
	DefaultAddressThrottle = ThrottlePolicy{Free: 20, Base: time.Second, Max: 15 * time.Minute}
)

// NextAttempt returns the earliest time the next attempt under t is allowed.
func (p ThrottlePolicy) NextAttempt(t Throttle) time.Time {
	if t.Failures < p.Free {
		return time.Time{}
	}
	if p.Lock > 0 && t.Failures >= p.Lock {
		return t.LastFailure.Add(p.LockFor)
	}
	d := p.Base
	for i := p.Free; i < t.Failures && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	return t.LastFailure.Add(d)
}

// accountKey keys an account's throttle by its e-mail's hash, whether or not
// an account has that e-mail, so unknown and known addresses behave alike.
func accountKey(email string) string {
	h := sha256.Sum256([]byte(email))
	return "email:" + hex.EncodeToString(h[:16])
}

// addressKey keys a client address's throttle. IPv6 clients usually own a
// whole /64, so the prefix is what identifies them.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "addr:" + addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + ip.String()
}
