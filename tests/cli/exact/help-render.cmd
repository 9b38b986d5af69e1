help
render
