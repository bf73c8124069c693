package web

// BrowserAPI exposes the API routes that accept the browser session, so the
// route walk can check them.
var BrowserAPI = browserAPI
