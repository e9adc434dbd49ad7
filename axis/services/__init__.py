"""The node's use cases, one function each, whatever calls them: the `/v1` API, the SDK's
dialect, the dashboard and the CLI only read their input and render the result."""
