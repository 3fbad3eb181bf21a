"""Data generation: seeded Faker, fixture loading, per-service seeders."""
