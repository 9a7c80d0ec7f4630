"""Workshop service: appointments, vehicle check-in and repair status for customers."""
