render
--config
