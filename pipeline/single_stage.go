package pipeline

import (
	"strconv"

	"dagger.io/dagger"
)

// SingleStage is the tutorial's single-stage Dockerfile as code: one slim image that
// installs the requirements globally and carries the app next to them.
//
//	FROM python:<v>-slim
//	WORKDIR /app
//	COPY requirements.txt .
//	RUN pip install --no-cache-dir -r requirements.txt
//	COPY . .
//	EXPOSE 5000
//	CMD ["python", "app.py"]
func (p *Pipeline) SingleStage() *dagger.Container {
	image := p.runtimeBase().
		WithWorkdir("/app").
		WithFile("/app/requirements.txt", p.opts.App.File("requirements.txt"))
	image = p.pipInstall(image, []string{"pip"}, "requirements.txt", "--no-cache-dir")
	return image.
		WithDirectory("/app", p.opts.App).
		WithExposedPort(p.opts.Port).
		WithDefaultArgs(p.opts.Command).
		WithLabel("org.opencontainers.image.title", "multistage single-stage").
		WithLabel("io.multistage.port", strconv.Itoa(p.opts.Port))
}
