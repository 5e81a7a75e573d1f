"""Direct uploads to S3 and the image-processing pipeline."""
