"""The web application: the app factory that mounts every capability's routes, and what every capability's routes
share (request dependencies, templating, the request edge, sign-in, administration, the audit pages)."""
