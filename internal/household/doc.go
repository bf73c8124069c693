// Package household holds households, their members and invitations, and the
// household settings other domains obey (retention of media, time zone). A
// household's precise home location never leaves the household: anyone else
// sees it coarsened.
package household
