help
recipients
