"""Complaints and helpdesk: routing to Sales, Service, Quality Control or Shipment and follow-up."""
