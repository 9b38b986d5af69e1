help
seal
