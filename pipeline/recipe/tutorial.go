package recipe

import "dagger.io/dagger"

// Tutorial is the tutorial's multi-stage Dockerfile exactly as written. The builder
// installs the requirements globally, and production copies only /app from it, so the
// packages stay behind and the app dies with ModuleNotFoundError. Compare keeps it, as
// expected to fail, to show what the service check catches.
//
//	FROM python:<v> AS builder
//	WORKDIR /app
//	COPY requirements.txt .
//	RUN pip install --no-cache-dir -r requirements.txt
//	COPY . .
//	FROM python:<v>-slim
//	WORKDIR /app
//	COPY --from=builder /app /app
//	EXPOSE 5000
//	CMD ["python", "app.py"]
func (r *Recipes) Tutorial() *dagger.Container {
	builder := r.builderBase().WithWorkdir("/app").WithDirectory("/app", r.requirementsFile())
	builder = r.installRequirements(builder, []string{"pip"}, "/app", "--no-cache-dir").
		WithDirectory("/app", r.app)

	return r.runtimeBase().
		WithWorkdir("/app").
		WithDirectory("/app", builder.Directory("/app")).
		WithExposedPort(r.opts.Port).
		WithDefaultArgs(r.opts.Command).
		WithLabel("org.opencontainers.image.title", "multistage tutorial (broken on purpose)")
}
