"""Event types by domain; `eventing.catalog.DOMAIN_EVENT_MODULES` lists the modules."""
