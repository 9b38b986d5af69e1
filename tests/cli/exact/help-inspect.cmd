help
inspect
