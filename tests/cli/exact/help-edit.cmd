help
edit
