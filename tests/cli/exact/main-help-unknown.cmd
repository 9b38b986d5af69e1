help
frobnicate
