"""Departments map to role groups (created by crm/migrations/0002_roles.py)."""

from .models import Department

DEPARTMENT_GROUP = {
    Department.SALES: "Sales",
    Department.MARKETING: "Marketing",
    Department.SERVICE: "Service",
    Department.QUALITY_CONTROL: "Quality Control",
    Department.SHIPMENT: "Shipment",
    Department.BRANCH_MANAGEMENT: "Branch Management",
    Department.HEAD_OFFICE: "Head Office",
}
