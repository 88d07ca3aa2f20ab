"""Contracts of awarded projects: installments, payments, evaluations, the delivery workspace."""
