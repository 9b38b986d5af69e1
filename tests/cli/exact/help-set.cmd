help
set
