// Package blobstore keeps the vault's ciphertext blobs through
// gocloud.dev/blob: a local directory by default ("file:///abs/dir") and
// S3-compatible object storage at scale ("s3://bucket?region=…&endpoint=…").
//
// It only ever sees ciphertext: clips are encrypted on the device before they
// are uploaded. Writes stream and are atomic: a blob appears under its key
// complete, or not at all.
package blobstore
