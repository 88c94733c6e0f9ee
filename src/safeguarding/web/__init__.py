"""What every capability's pages and API share: request dependencies and the transaction per request (``deps``),
templating with the layout, macros and static files (``templating``, ``templates/web/``, ``static/``), the form layer
(``forms``), the API's parameter types and error bodies (``api_params``, ``api_errors``), the navigation and the
request edge (``navigation``, ``edge``). It imports only ``core``; the app that mounts the routes is
``safeguarding.app``.
"""
