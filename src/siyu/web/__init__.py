"""The web console: server-rendered pages (Jinja2) over the same functions the API routes use, plus one small
hand-written script that calls the JSON API with the session cookie and the CSRF header. Served by `siyu serve`
under /console; nothing is fetched from another host."""
