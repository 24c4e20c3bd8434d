"""Methods: LightningModules that assemble views, an encoder, heads and an objective."""
