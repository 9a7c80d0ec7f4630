"""Sales force automation: leads, opportunities, activities, quotations, orders, forecasts."""
