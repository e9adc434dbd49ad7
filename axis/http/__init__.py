"""The node's HTTP faces: the `/v1` API, the national SDK's operations, the clerk dashboard,
health and metrics (`axis.http.app.create_app`)."""
