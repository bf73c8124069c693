package identity

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: the ones every authenticator app supports.
const (
	totpPeriod = 30
	totpSkew   = 1 // accept the previous and the next step too, for clock drift
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// newTOTPSecret returns a fresh base32 secret of 160 bits.
func newTOTPSecret(rand io.Reader) (string, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", err
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// OTPAuthURI returns the otpauth:// URI an authenticator app scans.
func OTPAuthURI(issuer, email, secret string) string {
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: email,
		Secret:      mustDecodeSecret(secret),
		Period:      totpPeriod,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		// Only an empty issuer or account name fails, and both are set by the service.
		return ""
	}
	return k.URL()
}

func mustDecodeSecret(secret string) []byte {
	b, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	return b
}

// TOTPCode returns the code for secret at t. Tests and the CLI use it.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// matchTOTP returns the time step whose code equals code, within the allowed
// skew around now, and whether one did.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for off := int64(-totpSkew); off <= totpSkew; off++ {
		s := step + off
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// RecoveryCodeCount is how many recovery codes an account gets at a time.
const RecoveryCodeCount = 10

var recoveryAlphabet = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// newRecoveryCodes returns RecoveryCodeCount codes of 60 random bits each,
// shown as xxxx-xxxx-xxxx, and their hashes for storage.
func newRecoveryCodes(rand io.Reader) (codes []string, hashes [][]byte, err error) {
	for range RecoveryCodeCount {
		b := make([]byte, 8)
		if _, err := io.ReadFull(rand, b); err != nil {
			return nil, nil, err
		}
		s := recoveryAlphabet.EncodeToString(b)[:12]
		codes = append(codes, s[0:4]+"-"+s[4:8]+"-"+s[8:12])
		hashes = append(hashes, hashRecoveryCode(s))
	}
	return codes, hashes, nil
}

// normalizeRecoveryCode strips separators and case so "ABCD EFGH-jkmn" matches.
func normalizeRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// hashRecoveryCode hashes a normalized code. The codes carry 60 random bits,
// so a fast hash is enough: there is no dictionary to try.
func hashRecoveryCode(normalized string) []byte {
	h := sha256.Sum256([]byte("hearth-recovery-code:" + normalized))
	return h[:]
}

// looksLikeRecoveryCode reports whether s, normalized, has a recovery code's shape.
func looksLikeRecoveryCode(normalized string) bool { return len(normalized) == 12 }
