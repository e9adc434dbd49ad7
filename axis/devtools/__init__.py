"""Development tools, kept out of the production packages: the generated 2025 registry dataset
(`axis registry generate`), the demo (`axis demo`) and the development PKI (`axis keys
dev-pki`, and the tests' and benchmarks' keys). Nothing a production node runs imports them."""
