// Package notice keeps the messages Hearth shows a person in the app: that
// someone was granted access to their data, that an agency asks for footage,
// that a legal demand concerns them. Notices are created by other domains'
// services and read by their recipient only.
package notice
