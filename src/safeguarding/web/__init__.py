"""The web application: factory, sign-in, layout, static assets. Nothing imports this but the app and CLI."""
