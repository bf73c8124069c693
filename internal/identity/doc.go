// Package identity holds accounts, roles, passwords, second factors, sessions
// and API tokens. Its Service enforces every authentication rule (password
// policy, TOTP replay, recovery codes, throttling and lockout, session expiry);
// adapters only carry requests to it.
package identity
