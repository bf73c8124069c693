// Package web is Hearth's HTTP adapter: the JSON API under /api/v1/ and the
// server-rendered pages, with their templates and assets embedded. Handlers
// return errors; one adapter per surface renders them (JSON for the API, a
// page for the browser). Rules live in the domain services, never here.
package web
