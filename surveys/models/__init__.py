from surveys.models.catalog import Channel, Company, Industry

__all__ = ["Channel", "Company", "Industry"]
