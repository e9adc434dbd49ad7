"""The axis node: its assembly (`node`), stored data (`store`), keys (`keys`), use cases
(`services`), HTTP faces (`http`), CLI (`cli`), wire models and Python client (`wire`,
`client`), development tools (`devtools`), local broker and migrations."""
