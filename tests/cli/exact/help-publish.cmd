help
publish
